"""The yardstick: a Flask route that does nothing, served by the same gunicorn as the app.

`gunicorn tests.benchmarks.bare:app`; the page benchmark divides each page's rate by this one's.
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
