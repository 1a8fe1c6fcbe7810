"""The studio: projects, their shots, takes and cast, and what edits and finished tasks do to them.
Plain functions and models over `studio.project.Project`; nothing here knows of HTTP."""
