"""E-mail: messages composed from templates (compose.py), sent through SMTP or written to the log
(smtp.py), always by a job after the page is answered (delivery.py). README: "E-mail".

    message = compose("invitation", to, "Subject", link=...)
    delivery.send_later(message, kind="invitation")
"""
