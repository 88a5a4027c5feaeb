"""What a message carries beyond its text (`content`): one definition, written by ingestion and
read by the thread, the conversation list, the API, automation and the leads CSV; and whose turn
it is in a conversation (`waiting`: who spoke last, whether the customer waits for a person)."""
