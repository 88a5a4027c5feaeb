from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField
from wtforms.validators import DataRequired, Length


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])
    # Opt-in: without it the session ends with the browser; with it, a cookie the server expires
    # after SESSION_MAX_AGE (app.auth.sessions).
    remember = BooleanField("Keep me signed in")
