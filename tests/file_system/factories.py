"""factory_boy factories for file-system entries."""

import factory

from file_system.models import FileSystem, FileSystemShortcut
from file_system.paths import path_depth


class FileSystemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FileSystem

    path = factory.Sequence(lambda n: f"Folder/File {n}")
    depth = factory.LazyAttribute(lambda entry: path_depth(entry.path))
    type = "doc"
    shortcut = False
    meta = factory.LazyFunction(dict)


class FileSystemShortcutFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FileSystemShortcut

    path = factory.Sequence(lambda n: f"Shortcut {n}")
    type = "insight"
    ref = factory.Sequence(lambda n: f"ref{n}")
