"""The monthly delivery DAG's building blocks: settings, the delivery check, the steps
that run the project's commands, and the failure alert."""
