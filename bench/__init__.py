"""`make bench`: figures measured on this machine, each beside its target."""
