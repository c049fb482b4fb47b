"""One module per area of the application, each with `MESSAGES = {key: (English, 中文)}`."""
