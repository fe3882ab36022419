"""Conv layers for dlcore.nn; filled in by the chapter that owns this topic."""

__all__ = []
__functional__ = []
