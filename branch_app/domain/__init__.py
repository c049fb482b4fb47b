"""Pure rules of the social security card domain: no IO, no textual, tinydb or httpx."""
