"""A workflow's state diagram: Mermaid text for the command line, SVG for the console."""
