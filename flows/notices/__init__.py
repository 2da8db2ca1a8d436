"""Telling people: the inbox, the other channels (e-mail, SMS, WeChat) behind one interface,
each person's choices, quiet hours, the message templates, and the courier that delivers what
waits. Below every room that tells anyone anything (engine, points, people), above core only:
a message is written in the transaction of whatever causes it, by whichever room that is."""
