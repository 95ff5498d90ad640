"""The `comms-approval` command line (Typer + Rich); one module per group of commands."""
