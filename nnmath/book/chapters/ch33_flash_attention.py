"""Chapter 33 (Attention without the T × T matrix): the chapter's own demonstrations and studies."""
