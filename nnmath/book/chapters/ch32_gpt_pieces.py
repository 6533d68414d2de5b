"""Chapter 32 (The pieces of a GPT: GELU, RMSNorm and rotary positions): the chapter's own demonstrations and studies."""
