"""People and where they belong: who is acting (roles, scopes, registrations, skills), sign-up
and log-in, reporting in (报到) and its approval, Excel imports, regions, organisations."""
