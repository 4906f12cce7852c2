"""Break-even economics: self-host vs API, RAG vs fine-tune vs long context (docs/breakeven.md)."""
