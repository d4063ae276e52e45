"""Synthetic labelled referral corpus: generator, gold format and the HF dataset features."""
