"""The Instagram DM inbox for sales teams."""
