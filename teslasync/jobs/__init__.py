"""Background work on SAQ: exports, notifications, automations and the scheduler (see issue 8)."""
