"""Reading files: tables in any encoding and layout, YAML."""
