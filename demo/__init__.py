"""The demo: a synthetic children's services department and a year of its QA history.

Why a package of its own: this is a generator of made-up data for the demo, the
Playground and the load tests, not rules of quality assurance, so it sits beside the
domain (`qa/`) rather than in it. It uses the domain's engines (allocation, moderation,
grading) to make history shaped like the real thing; nothing in `qa/` depends on it.
Pure, like `qa/`: no clock, no I/O, no global random state.
"""
