"""Instagram comments in the inbox: the posts they are on (`media.py`: what a post shows and when
it is fetched again) and the follow-up job that fetches a post (`jobs.py`). Comments themselves
arrive through ingestion (app.webhooks.apply) as messages of kind `comment` in conversations of
kind `comments`, one per person per post (docs/architecture.md#comments)."""
