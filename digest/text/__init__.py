"""Text rules a person reads, one helper per rule: page furniture (boilerplate),
language-correct spacing (typography) and the newsletter's name inside a sentence
(names). Pure."""
