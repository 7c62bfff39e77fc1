/**
 * @qus/core's version, as its package.json says: written by the release flow (`npm run version`, after
 * `changeset version`), held equal by a unit test. It versions the default installer image's tag.
 */
export const QUS_VERSION = "0.1.0";
