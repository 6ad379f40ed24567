"""The regression gate: configuration, baseline files, git worktrees and checks."""
