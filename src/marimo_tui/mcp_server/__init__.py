"""The workbench's cell tools offered to outside agents over the Model Context Protocol."""
