"""LLM providers behind one streaming interface (`base.Provider`)."""
