"""Every write of the grid app (`<entity>_<action>(*, ...)`, atomic, validated, audited)."""
