"""The chapters' interactive explorers (one module per chapter), built on ``Explorer``."""
