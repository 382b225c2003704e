"""Property-based fuzzing of every form and of the JSON API: no input ever answers 5xx."""
