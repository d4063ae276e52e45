"""The layout-aware referral model (LayoutLM multi-task) and what it hands to post-processing."""
