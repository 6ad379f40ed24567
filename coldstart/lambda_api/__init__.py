"""Deployed Lambda functions: ARNs, REPORT log records, invokes, forced cold starts, cost."""
