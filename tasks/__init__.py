"""RQ job functions and the plumbing that feeds them (queues, timer sweeps, Redis)."""
