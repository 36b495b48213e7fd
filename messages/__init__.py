"""The words of outbound messages: template contexts built from stored rows and QA rules.

Why a package of its own: storage persists and the domain decides, but someone has to
turn a row into what a person reads (names, labels, dates in the authority's zone) and
queue it in the outbox under its idempotency key. That wording used to be spread over
`storage/`, `handlers/` and `reminders/`; here it is in one layer, imported by
handlers, reminders and the CLI, and importing only `storage` and `qa`.
"""
