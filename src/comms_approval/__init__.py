"""comms-approval: Article 8 approval engine for joint communications of institutional partners."""

__version__ = "0.1.0"
