"""The composition root: builds the store, the sync service, the reader and the application
services from the configuration, for the normal start and the demo alike."""
