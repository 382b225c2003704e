"""A private calendar feed per person: their sets' meetings and their open actions' due dates,
for a phone's calendar to subscribe to (`views.py`: the feed and the buttons on *Account*;
`feeds.py`: addresses made, renewed and turned off; `ics.py`: what the feed holds)."""
