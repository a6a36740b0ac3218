"""The public edge: Postback URLs (/pb) and Track URLs (/t). No login here."""
