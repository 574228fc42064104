"""The bare Flask app the benchmark divides by: ``gunicorn -w 4 'hello:app'`` (from bench/)."""

from flask import Flask

app = Flask(__name__)


@app.route("/")
def hello():
    return "hello"
