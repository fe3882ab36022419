"""Maths that only one chapter needs (no PyTorch counterpart)."""
