// Vite's `?raw` suffix imports a file's text (the labelled pairs) into a test that runs in workerd.
declare module "*?raw" {
  const text: string;
  export default text;
}
