"""Run metrics: what every build reports, locally and to CloudWatch."""
