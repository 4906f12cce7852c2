"""Token counting: exact with tiktoken where the tokenizer is public, labelled approximations elsewhere."""
