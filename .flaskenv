# Read by the `flask` command before it parses its options (python-dotenv, with ${VAR} expansion):
# `flask run` serves on $PORT, the same port the app builds its own links from (the demo login,
# the Connect redirect, the stand-in's webhook URL), so `PORT=8000 flask --app app run` just works.
FLASK_RUN_PORT=${PORT:-5000}
