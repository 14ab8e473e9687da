"""Learning: the module catalogue, module and lesson pages, progress, the glossary."""
