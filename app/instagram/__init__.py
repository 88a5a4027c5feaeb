"""Instagram protocol: signatures, payload parsing, Graph API client, OAuth."""
