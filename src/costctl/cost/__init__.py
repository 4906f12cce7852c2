"""Pure Decimal arithmetic: pricing a usage, allocation, break-even. No I/O."""
