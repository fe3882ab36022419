// ipywidgets' HTML manager typesets widget labels with the MathJax 2 call
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the book loads MathJax 3.
// Loaded with defer after MathJax, so window.MathJax is MathJax 3's object here.
if (window.MathJax && !window.MathJax.Hub) {
  window.MathJax.Hub = {
    Queue: (command) => (window.MathJax.typesetPromise
      ? window.MathJax.typesetPromise([command[2]]) : null),
  };
}
