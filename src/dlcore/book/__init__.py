"""The book's own machinery: notebook helpers, plotting, datasets, the multi-seed helper and
the widget explorers. Nothing here has a PyTorch counterpart."""
