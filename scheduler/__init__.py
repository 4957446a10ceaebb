"""deadlines: dated commitments in Chinese government texts → milestones, feeds and digests."""

__version__ = "0.1.0"
