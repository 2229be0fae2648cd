"""The subcommands: one module each, the only code that prints or chooses an exit code."""
