"""Microsoft Teams: the only package (with bot/slack) that imports a chat SDK.

adapter.py mounts `POST /api/messages` (Teams SDK) and returns the messenger;
routes/ turn activities into `Interaction`s; turn.py runs the handlers and renders;
messenger.py, connector.py, graph.py and tokens.py send proactive messages;
package.py builds the app package an administrator uploads.
"""
