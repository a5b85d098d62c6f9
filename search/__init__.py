"""One search across everything residents and the city write (see docs/search.md)."""
